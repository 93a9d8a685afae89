"""Outputs: the only code that formats results for people and writes them to files.

Public modules:

- :mod:`~careprofiles.outputs.text`: money, numbers, percentages, Markdown escaping, text and
  Markdown tables; every report formats through it.
- :mod:`~careprofiles.outputs.display`: how result objects show themselves (``summary()``,
  ``__repr__``, ``_repr_html_()``), called from their methods; the short reprs and notebook
  tables are in :mod:`~careprofiles.outputs.reprs`.
- :mod:`~careprofiles.outputs.starter`: ``init_pathway``, a local pathway folder to start
  from (``careprofiles init``).
- :mod:`~careprofiles.outputs.tables`: JSON text and Excel workbooks.
- :mod:`~careprofiles.outputs.sheets`: CSV text and workbook cells a spreadsheet shows and
  never evaluates (no formula injection), floats in CSV without binary noise.
- :mod:`~careprofiles.outputs.audit`: audit and benchmark reports.
- :mod:`~careprofiles.outputs.standards`: practice standards reports.
- :mod:`~careprofiles.outputs.documents`: Markdown to standalone HTML and Word.
- :mod:`~careprofiles.outputs.charts`, :mod:`~careprofiles.outputs.audit_charts`: charts
  (matplotlib, the ``plot`` extra).
- :mod:`~careprofiles.outputs.files`: writing files atomically, never over one without ``force``.

Imports: standards, activity, costing, tariffs, profiles; never specification or cli.
"""
