# The statistics RDSQueryLogger reads from pg_stat_statements.
SLOW_QUERIES = """
    SELECT query, calls, mean_exec_time
    FROM pg_stat_statements
    WHERE mean_exec_time > 250
    ORDER BY mean_exec_time DESC
    LIMIT 20
"""
