# Nested imports: the import machinery (stdlib) and exec/__import__ (C
# builtins) re-enter each other, so the profile folds recursions that run
# through both kept and dropped code whichever of the two is dropped.
def load():
    import argparse
    import decimal
    import email.mime.text
    import json
    import logging.handlers
    import xml.dom.minidom
    return json.dumps({"a": [1, 2]}) + decimal.Decimal("1.5").to_eng_string()


load()
