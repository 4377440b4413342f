import sys

from harmmap.cli import main

sys.exit(main())
