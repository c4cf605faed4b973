"""The project's ``scrapy`` commands (``COMMANDS_MODULE``): Scrapy's own, with an exit status."""
