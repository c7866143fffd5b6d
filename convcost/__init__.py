"""convcost: exact costs of convolution layers and networks, and what factorizations would save."""
