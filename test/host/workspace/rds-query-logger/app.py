# RDS query logger: every 15 minutes, copies the reporting database's slow-query statistics into the log.
import json
import os

import boto3
import psycopg

from queries import SLOW_QUERIES

secrets = boto3.client("secretsmanager")
_credentials = None


def _db_credentials():
    """The database secret, read once per execution environment."""
    global _credentials
    if _credentials is None:
        secret = secrets.get_secret_value(SecretId=os.environ["DB_SECRET_ID"])
        _credentials = json.loads(secret["SecretString"])
    return _credentials


def lambda_handler(event, context):
    creds = _db_credentials()
    with psycopg.connect(
        host=creds["host"], port=creds.get("port", 5432), dbname=creds["dbname"],
        user=creds["username"], password=creds["password"], connect_timeout=5,
    ) as conn:
        rows = conn.execute(SLOW_QUERIES).fetchall()
    for query, calls, mean_ms in rows:
        print(json.dumps({"query": query[:200], "calls": calls, "mean_ms": round(mean_ms, 1)}))
    return {"logged": len(rows)}
