"""Option values of the interpretation commands, importable without PyTorch so that
``regflow``'s argument parser starts fast."""

CHROMBPNET_MODELS = ("corrected", "uncorrected", "bias")
CHROMBPNET_HEADS = ("counts", "profile")
