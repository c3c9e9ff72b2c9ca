"""The calculus refresher: gradients, directional derivatives, Taylor, gradient descent."""
