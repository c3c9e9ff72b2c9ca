def _array(entries, shape, *args):
    """Entries broadcast with the arguments (constants too) and stacked on the axes ``shape``."""
    arrays = [numpy.asarray(e, dtype=float) for e in entries]
    flat = numpy.broadcast_arrays(*arrays, *map(numpy.asarray, args))[: len(arrays)]
    return numpy.stack(flat).reshape(tuple(shape) + flat[0].shape)


def value(x, y):
    """f = (x - 3)**2 + 2*(y + 1)**2"""
    return (x - 3)**2 + 2*(y + 1)**2


def gradient(x, y):
    """∇f, shape (n, ...)"""
    return _array([2*x - 6, 4*y + 4], (2,), x, y)


def hessian(x, y):
    """∂²f/∂xᵢ∂xⱼ, shape (n, n, ...)"""
    return _array([2, 0, 0, 4], (2, 2), x, y)
