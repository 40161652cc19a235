"""The app's Gradio tabs, one module each (model, data, train, compare, runs, pipeline): they lay out and wire, nothing else.

The only part of posttrain that imports gradio; only app.py imports it (tests/test_app.py checks both).
"""
