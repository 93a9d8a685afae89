"""The activity step: what was actually delivered, read, checked, costed and audited.

Activity records (``docs/audit.md``; the "Activity records" section of the format) are
one row per contact or item delivered, in CSV or Parquet, with the columns

===========  ========  ==========================================================
column       required  meaning
===========  ========  ==========================================================
patient_id   yes       a patient (string or integer)
stage        yes       a stage id of the pathway
code         yes       a tariff code: a staff role, or an item
service      no        a service id of that stage (empty: not tied to a service)
minutes      per hour  staff minutes of the contact, travel included
quantity     no        contacts (staff rows) or units (items); default 1
area         no        the area (practice, locality, ICB) the patient belongs to
date         no        ISO date, ``YYYY-MM-DD``
===========  ========  ==========================================================

The actual cost of a row is ``minutes / 60 * cost`` for a code priced per ``hour``, and
``quantity * cost`` otherwise. A row is a *staff* row when its code is priced per hour or
per contact (and, given a pathway, is not one of the pathway's items); its hours are
``minutes / 60`` (0 when a per-contact role has no minutes). Items have no hours, and a
non-zero ``minutes`` on an item row is an error rather than ignored. Outcome records are
``patient_id, outcome, value[, area]``.

Every step takes a pandas DataFrame or a Dask DataFrame (partition by partition, memory
bounded); each public function handles both, its Dask path beside its pandas one.

Modules, each importing only those above it in this list:

* :mod:`~careprofiles.activity.records`: reading records (CSV, Parquet, frames; pandas
  or Dask), their columns, and where each row came from (``file:line``);
* :mod:`~careprofiles.activity.encoding`: records encoded once (integer codes, the
  tariff as arrays; long text ids hashed in threads), each row's cost and hours;
* :mod:`~careprofiles.activity.findings`: failed checks made into problems naming rows;
* :mod:`~careprofiles.activity.checks`: :func:`check_activity`, :func:`check_outcomes`;
* :mod:`~careprofiles.activity.costing`: :func:`cost_activity`, the vectorised hot path;
* :mod:`~careprofiles.activity.summaries`: totals by (patient, stage, service, area),
  reduced (:func:`reduce_activity`);
* :mod:`~careprofiles.activity.aggregates`: the additive totals the audit and the
  benchmark are computed from;
* :mod:`~careprofiles.activity.audit`: :func:`audit`, :class:`AuditResult`;
* :mod:`~careprofiles.activity.benchmark`: :func:`benchmark_areas`,
  :class:`BenchmarkResult`, :func:`read_populations`.

Imports: costing, tariffs, profiles, errors; nothing above the activity step (results
show themselves through careprofiles.outputs, imported inside the method).
"""
