"""Development tools (evaluation against the demo's ground truth); never imported at runtime."""
