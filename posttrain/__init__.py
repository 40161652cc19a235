"""posttrain: watch LLM post-training (DPO, GRPO) happen — the engine behind the CLI and the app."""
