"""PyTorch models: a shared transformer encoder, the chromatin ViT, the GET model and LoRA."""
