"""The fix stage: article documents read and written safely, links rewritten in place."""
