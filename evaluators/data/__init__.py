"""Datasets: ImageNet-C/-P and clean validation folders, class lists, manifests and sample photos."""
