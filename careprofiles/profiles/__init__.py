"""The care profile format: reading pathway and stage files into frozen, typed models.

The first step of the pipeline, and the foundation of the others: the file format
itself. Its public modules:

* :mod:`~careprofiles.profiles.load`: ``load_pathway`` and ``load_stage``;
* :mod:`~careprofiles.profiles.models`: the models (``Pathway``, ``Stage``, ``Service``, ...);
* :mod:`~careprofiles.profiles.distributions` and :mod:`~careprofiles.profiles.numbers`:
  uncertain numbers, and reading and checking them;
* :mod:`~careprofiles.profiles.sources`: where each model was read from, and the base model;
* :mod:`~careprofiles.profiles.reader`: YAML with the line of every value;
* :mod:`~careprofiles.profiles.csvfiles`: the one CSV reader (tariffs, indices, ...), with
  the rules every file shares (ids, financial years, numbers);
* :mod:`~careprofiles.profiles.units`: the units a tariff row may be priced in;
* :mod:`~careprofiles.profiles.validation`, :mod:`~careprofiles.profiles.schema` and
  :mod:`~careprofiles.profiles.reference` (``docs/format.md``).

Imports: careprofiles.errors and careprofiles.resources only; no other pipeline step.
"""
