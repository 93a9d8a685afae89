import sys

from careprofiles.cli import main

sys.exit(main())
