"""Simulated OLTs and concentrators for trying runbooks without a network (`ispflow lab`).

An optional part (`pip install 'ispflow[lab]'`): nothing outside the lab and its command
imports it.
"""

import warnings

# asyncssh names cryptography's DSA types, which cryptography deprecates on import; the lab
# uses no DSA key, and the warning would be printed on every `ispflow lab` command.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="asyncssh")
