"""The demo business: a generated coffee chain with known ground truth.

``generate()`` draws it from an explicit generative model (``business.py``); ``regulars demo``
writes it to files and loads it through the same import path users use.
"""
