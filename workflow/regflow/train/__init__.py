"""Training on PyTorch Lightning: resumable runs, loud device choice, per-run outputs."""
