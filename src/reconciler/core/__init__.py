"""The core: reconciler's values and rules, with no I/O and no knowledge of any other layer.

Essences (what reconciler manages of a resource), live values (what a workspace holds), the
desired state, secrets (references, resolved values, hashes), the plan and its file format, the
workspace protocols, the vocabulary of Azure ML's names, names and paths, limits, queries and
schedules. Every other layer imports these; they import nothing of reconciler but each other.
"""
