"""The parcels of one supplier at the first point whose places, exactly
1,000, travel with the manifest ``BENCH-1000``: ``scripts/bench.py``
accepts them through the API (``--bench-manifest``)"""
from .common import chunks, log
from .parcels import orm_values
from .points import POINTS


BENCH_MANIFEST = 'BENCH-1000'
BENCH_PLACES = 1000


def bench_manifest(gen, factory, points, suppliers):
    """The parcels of one supplier at the first point whose places, exactly
    BENCH_PLACES, travel with the manifest BENCH_MANIFEST"""
    pool = gen.pool
    Parcel = pool.get('multipoint.parcel')
    Place = pool.get('multipoint.parcel.place')
    code = POINTS[0]['code']
    key = 'boxberry'
    existing = Place.search([
            ('parcel.manifest', '=', BENCH_MANIFEST),
            ('parcel.point', '=', points[code].id),
            ])
    if existing:
        log("Manifest %s already there (%d places)", BENCH_MANIFEST,
            len(existing))
        return
    rng = gen.rng
    remaining = BENCH_PLACES
    vlist = []
    while remaining:
        count = min(remaining, rng.choices([1, 2, 3], [70, 22, 8])[0])
        values = factory.values(code, key, places=count,
            manifest=BENCH_MANIFEST)
        vlist.append(orm_values(values))
        remaining -= count
    parcels = []
    for sub in chunks(vlist, 250):
        parcels += Parcel.create(sub)
    gen.commit()
    log("Manifest %s: %d parcels of %s with %d places at %s",
        BENCH_MANIFEST, len(parcels), suppliers[key].name, BENCH_PLACES,
        code)
