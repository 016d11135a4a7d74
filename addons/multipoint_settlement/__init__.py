# Settlements with the suppliers (the agent's report), their exports and
# their reconciliation with the suppliers' own reports. Classes are
# registered in tryton.cfg (Tryton 8.0).
