"""Fill a Multipoint database with demo data: python -m scripts.demo --help"""
import sys

from .build import main


sys.exit(main())
