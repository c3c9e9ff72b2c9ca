"""Rosenblatt's perceptron: training runs and the dot-product view."""
