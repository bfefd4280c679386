"""python -m sim.paramdoc [--write | PATTERN]"""

import sys

from sim.paramdoc import main

sys.exit(main(sys.argv[1:]))
