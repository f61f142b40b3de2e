"""tinygan: Generative Adversarial Nets (Goodfellow et al., 2014) from scratch in NumPy/CuPy."""
__version__ = "0.1.0"
