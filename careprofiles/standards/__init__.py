"""Practice standards for supportive and palliative care: the framework, assessments, status.

The second method behind the library (after care profiles): GP practices are assessed
against a framework of standards, start from a *baseline* assessment, show progression
with supporting evidence, and reach *accredited* status (South of Tyne and Wear, Watson &
Richardson 2012). Commissioners track many practices at once.

* A **framework** (``format: careprofiles-standards/1``) lists standards; each standard
  lists criteria; each criterion says what evidence demonstrates it and whether it is
  required for accreditation, and may name the care-profile outcomes it relates to.
* **Assessments** are dated snapshots of one practice: the status claimed for each
  criterion (``met``, ``partly-met`` or ``not-met``) with evidence references. A YAML file
  holds one practice; a CSV file holds many (one row a criterion a date). The first
  assessment is the baseline.
* **Status**: a criterion counts as met when claimed ``met`` *with* evidence; a standard
  is met when all its criteria are; a practice is accredited when every required
  criterion counts as met at its latest assessment; progression is counted from the
  baseline (the rules in full: :mod:`.status`).

Every loader collects every problem in every file and raises one :class:`StandardsError`
whose lines read ``path:line: key.path: what is wrong; how to fix``.

Modules, each importing only those above it:

* :mod:`.models` — the format's constants and value types, and the frozen models
  (framework, assessments, an assessment file as written);
* :mod:`.framework` — :func:`load_framework` and its checks; the YAML reading shared
  with assessment files;
* :mod:`.assessment_csv` — assessment CSV files (many practices): reading and checking;
* :mod:`.assessments` — :func:`load_assessments`: YAML files, CSV files, folders;
* :mod:`.status` — the status rules, applied to one long table;
* :mod:`.result` — :func:`assess_standards` and :class:`StandardsResult`.

Imports: errors, resources, profiles; nothing above standards (the reports are in
``careprofiles.outputs.standards``).
"""
