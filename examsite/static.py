"""Static files in production: WhiteNoise's compressed, content-hashed storage.

The candidate pages are ES modules that import each other (``import … from "./api.js"``);
Django rewrites those imports to the hashed names too, so a page never mixes a new module with
an old one from a browser cache.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedCompressedStaticStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
