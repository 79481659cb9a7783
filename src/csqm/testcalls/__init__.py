"""Test-call (拨测) programmes: plans, scenarios, scheduling, execution records, standards, reports, robot tester."""
