"""Real-time monitoring: event ingress, incremental inspection, alerts, live queue KPIs, NATS workers."""
