"""py-amqp side of spec/integration/interop.spec.ts (run by it with child_process).

    python3 interop_client.py get <host:port> <queue>      -> prints the message as typed JSON
    python3 interop_client.py publish <host:port> <queue>  -> publishes the reference message

Values are printed with their Python type so the spec can check what py-amqp decoded, not
just how it prints.
"""
import json
import sys
from datetime import datetime
from decimal import Decimal

import amqp


def typed(v):
    if v is None:
        return {'t': 'none'}
    if isinstance(v, bool):
        return {'t': 'bool', 'v': v}
    if isinstance(v, int):
        return {'t': 'int', 'v': str(v)}
    if isinstance(v, float):
        return {'t': 'float', 'v': v}
    if isinstance(v, Decimal):
        return {'t': 'decimal', 'v': str(v)}
    if isinstance(v, datetime):
        return {'t': 'datetime', 'v': v.isoformat()}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {'t': 'bytes', 'v': bytes(v).hex()}
    if isinstance(v, str):
        return {'t': 'str', 'v': v}
    if isinstance(v, dict):
        return {'t': 'dict', 'v': {k: typed(x) for k, x in v.items()}}
    if isinstance(v, (list, tuple)):
        return {'t': 'list', 'v': [typed(x) for x in v]}
    return {'t': type(v).__name__, 'v': repr(v)}


def connect(hostport):
    conn = amqp.Connection(host=hostport, userid='guest', password='guest', virtual_host='/', connect_timeout=10)
    conn.connect()
    return conn


def get(hostport, queue):
    conn = connect(hostport)
    try:
        ch = conn.channel()
        msg = ch.basic_get(queue=queue, no_ack=True)
        if msg is None:
            print(json.dumps(None))
            return
        body = msg.body if isinstance(msg.body, (bytes, bytearray)) else str(msg.body).encode('utf-8')
        print(json.dumps({'body': bytes(body).hex(), 'properties': {k: typed(v) for k, v in msg.properties.items()}}))
    finally:
        conn.close()


def publish(hostport, queue):
    headers = {
        'string': 'text \u00fc \u65e5\u672c',
        'int': -123456,
        'big': 2 ** 40,
        'bool': True,
        'false': False,
        'double': 3.25,
        'decimal': Decimal('-12.34'),
        'timestamp': datetime(2024, 2, 29, 12, 34, 56),
        'bytes': b'\x00\x01\xfe\xff',
        'array': [1, 'two', True, None, [3]],
        'table': {'nested': {'deep': 'value'}, 'n': 1},
        'null': None,
    }
    msg = amqp.Message(
        b'\x00from python\xff',
        content_type='application/x-python',
        content_encoding='binary',
        application_headers=headers,
        delivery_mode=2,
        priority=7,
        correlation_id='corr-py',
        reply_to='reply.py',
        expiration='600000',
        message_id='msg-py',
        timestamp=1709210096,
        type='py.type',
        user_id='guest',
        app_id='py-amqp',
        cluster_id='cluster-py',
    )
    conn = connect(hostport)
    try:
        ch = conn.channel()
        ch.basic_publish(msg, exchange='', routing_key=queue)
        # A synchronous round trip after the publish, so nothing is left unsent at close.
        ch.queue_declare(queue=queue, passive=True)
    finally:
        conn.close()


if __name__ == '__main__':
    mode, hostport, queue = sys.argv[1:4]
    {'get': get, 'publish': publish}[mode](hostport, queue)
