"""What every step of the demo data shares: the pool, the transaction, the
random generator of the seed and the moment of the run; and the records of
an existing demo database (``load``)"""
import datetime as dt
import random
from collections import defaultdict

from .company import create_company
from .points import POINTS, create_points
from .staff import STAFF, create_staff
from .suppliers import SUPPLIERS, create_suppliers


class Generator:

    def __init__(self, args, pool, transaction):
        self.args = args
        self.pool = pool
        self.transaction = transaction
        self.rng = random.Random(args.seed)
        self.now = dt.datetime.utcnow().replace(microsecond=0)
        self.batch_commits = True

    def commit(self):
        "Commit a batch: only in bulk mode, the demo is all or nothing"
        if self.batch_commits:
            self.transaction.commit()

    def company(self):
        return create_company(self)

    def points(self, company, large):
        return create_points(self, company, large)

    def suppliers(self, points):
        return create_suppliers(self, points)

    def staff(self, company, points):
        return create_staff(self, company, points)

    def load(self, company):
        "Records of an existing demo database"
        pool = self.pool
        Point = pool.get('multipoint.point')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        found = {p.code: p for p in Point.search(
                [('code', 'in', [p['code'] for p in POINTS])])}
        points = {p['code']: found[p['code']] for p in POINTS
            if p['code'] in found}
        suppliers = {}
        for s in SUPPLIERS:
            parties = Party.search([('name', '=', s['name'])], limit=1)
            if parties:
                suppliers[s['key']] = parties[0]
        plan = {}
        for s in SUPPLIERS:
            for code in points:
                plan[(s['key'], code)] = s['terms']
            if s.get('override'):
                code, override = s['override']
                plan[(s['key'], code)] = dict(s['terms'], **override)
        self.operators = defaultdict(list)
        for login, _, _, groups, codes, _ in STAFF:
            users = User.search([('login', '=', login)], limit=1)
            if users and 'operator' in groups:
                for code in codes:
                    self.operators[code].append(users[0].id)
        return points, suppliers, plan
