"""Tariffs: unit costs from CSV files, layered national to local, and price indices.

Its public module is :mod:`~careprofiles.tariffs.tables` (``load_tariff``,
``load_price_index``, ``Tariff``, ``TariffRow``, ``PriceIndex``); :mod:`.layers` holds the
record of the layers (``TariffLayer``, ``TariffOverride``) and the layering warning.

Imports: careprofiles.profiles (the CSV reader and the units), errors, resources.
"""
