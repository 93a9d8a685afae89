"""Costing: a pathway and a tariff → resource lines → every figure, and the analyses on top.

Costing follows ``docs/costing.md`` (the rules of ``careprofiles/1``). The modules, each
importing only those listed before it (and profiles, tariffs, errors):

* ``_parameters`` (private): a cost model's parameters, kept as columns;
* ``model``: :class:`~careprofiles.costing.model.CostModel`, the compiled columns, its
  reference arithmetic (``evaluate``) and the in-order sums every figure uses;
* ``overflow``: figures too large to compute (not finite), refused naming the number
  that made them so;
* ``compiler``: :func:`~careprofiles.costing.compiler.compile_model`;
* ``result``: :func:`~careprofiles.costing.result.cost` and
  :class:`~careprofiles.costing.result.CostResult` with its tables;
* ``scenarios``, ``scenario_apply``, ``compare``: scenario files, applying one to a
  pathway, and comparing them with the baseline;
* ``tariff_uncertainty``: distributions of tariff costs;
* ``_plan`` (private): the fast arithmetic of many parameter sets;
* ``simulate``, ``sensitivity``: Monte Carlo and one-way sensitivity;
* ``grades`` (no pandas, for ``validate``) and ``evidence``: the evidence grades counted,
  and the estimated lines that carry most of the cost.

The public names are those of ``careprofiles`` itself (``careprofiles/__init__.pyi``).
"""
