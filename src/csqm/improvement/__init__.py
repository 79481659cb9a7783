"""The closed improvement loop (闭环): findings, root causes, actions, verification by metrics, training."""
