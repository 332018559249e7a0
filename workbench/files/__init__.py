"""Files in and out, the layer every other one stands on: tracker exports read into plain data
(`exports`), and tables, JSON and text written atomically (`atomic`, `jsonable`)."""
