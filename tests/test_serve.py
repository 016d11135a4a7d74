"""`make serve` (scripts/serve.py) on PostgreSQL: gunicorn with two web
processes, trytond-worker and trytond-cron start on a database, an operator
logs in and scans a barcode through them, and Ctrl-C stops them all."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from urllib.parse import urlsplit, urlunsplit

import requests

from trytond import backend, config
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, create_parcel, create_point, create_supplier,
    create_user)
from trytond.tests.test_tryton import DB_NAME, RouteTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def processes_of(database):
    "Command lines of the processes serving database"
    members = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as fp:
                command = fp.read().replace(b'\0', b' ').decode()
        except OSError:
            continue
        if (f'-d {database} ' in command
                or f'multipoint-{database} ' in command):
            members.append(command)
    return members


@unittest.skipUnless(backend.name == 'postgresql',
    "make serve runs on PostgreSQL")
class ServeTestCase(RouteTestCase):
    "Test make serve"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'SRV1')
            supplier = create_supplier("Serve Express")
            create_parcel(point, supplier, 'SRV-1', ['SRV-BARCODE-1'])
            create_user('op_serve', ['operator'], [point], company)

    def test_two_web_processes_worker_and_cron(self):
        uri = urlsplit(config.get('database', 'uri'))
        db_url = urlunsplit((uri.scheme, uri.netloc, f'/{DB_NAME}', '', ''))
        port = free_port()
        env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_')}
        log = tempfile.TemporaryFile()
        process = subprocess.Popen([sys.executable,
                os.path.join(ROOT, 'scripts', 'serve.py'), '--db', db_url,
                '--workers', '2', '--threads', '2',
                '--listen', f'127.0.0.1:{port}'],
            env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        base = f'http://127.0.0.1:{port}/{DB_NAME}'
        try:
            for _ in range(240):
                self.assertIsNone(process.poll(), self.output(log))
                try:
                    requests.get(f'{base}/multipoint/api/v1/session',
                        timeout=5)
                    break
                except requests.RequestException:
                    time.sleep(0.5)  # not listening or still loading
            session = requests.Session()
            response = session.post(f'{base}/session/login', json={
                    'params': ['op_serve', {'password': OPERATOR_PASSWORD},
                        'ru']}, timeout=60)
            self.assertEqual(response.status_code, 200, response.text)
            cookie = response.cookies['tryton_session']
            session.headers['Cookie'] = f'tryton_session={cookie}'
            # several requests: both web processes answer with the session
            for _ in range(8):
                response = session.get(f'{base}/multipoint/api/v1/lookup',
                    params={'code': 'SRV-BARCODE-1'}, timeout=60)
                self.assertEqual(response.status_code, 200, response.text)
                parcel, = response.json()['parcels']
                self.assertEqual(parcel['order_number'], 'SRV-1')

            members = processes_of(DB_NAME)
            self.assertEqual(
                len([m for m in members if 'gunicorn' in m]), 3,
                members)  # the master and two web processes
            self.assertTrue(
                any('trytond-worker' in m for m in members), members)
            self.assertTrue(
                any('trytond-cron' in m for m in members), members)
        finally:
            # Ctrl-C in the terminal
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # stops every process it started, and theirs
        for _ in range(20):
            if not processes_of(DB_NAME):
                break
            time.sleep(0.5)
        self.assertEqual(processes_of(DB_NAME), [], self.output(log))

    @staticmethod
    def output(log):
        log.seek(0)
        return log.read().decode(errors='replace')[-3000:]
