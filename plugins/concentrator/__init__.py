"""PPPoE concentrators: the vendor-neutral driver contract (contract.py), the choice of a
host's driver (drivers.py) and one folder per vendor with its driver and connection."""
