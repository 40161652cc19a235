"""The Gradio face's helpers: the string table (`text`) and pure views of plain data (`views`)."""
