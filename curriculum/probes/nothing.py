"""A probe that sends nothing: a check that reads what an earlier check's probe sent."""

def probe(ns, inputs):
    return None
