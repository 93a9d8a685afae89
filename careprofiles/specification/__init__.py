"""Commissioning specifications: a costed pathway as the service specification of a contract.

Public modules:

- :mod:`~careprofiles.specification.render`: :func:`render_spec` (Markdown, HTML or Word),
  the shipped templates (:func:`list_templates`, :func:`find_template`), :func:`render_template`.
- :mod:`~careprofiles.specification.header`: the header block (:class:`SpecHeader`,
  :func:`load_header`).
- :mod:`~careprofiles.specification.context`: :func:`spec_context`, what a template sees.
- :mod:`~careprofiles.specification.wording`: how the specification says figures in words.
- :mod:`~careprofiles.specification.sandbox`: Jinja's sandbox, with limits on time and output.

Imports: outputs (text, documents) and the steps below; only the command line imports it.
"""
