"""careprofiles: specify and cost end-of-life care from YAML care profiles and tariffs.

The public API is this one namespace::

    import careprofiles as cp

    pathway = cp.load_pathway()            # the bundled adult end-of-life pathway
    tariff = cp.load_tariff()              # the bundled 2024/25 tariff
    result = cp.cost(pathway, tariff)      # per patient, per stage, per role, population
    result.by_stage(); result.by_role()    # DataFrames for a notebook

Names are imported on first use, so ``import careprofiles`` is quick and has no side
effects; the implementation modules are private in spirit.
"""

import lazy_loader as _lazy

__version__ = "0.1.0"

# The public names, and the modules they come from, are listed once: in __init__.pyi.
__getattr__, _, _names = _lazy.attach_stub(__name__, __file__)
__all__ = sorted([*_names, "__version__"])
del _, _names


def __dir__() -> list[str]:
    return __all__
