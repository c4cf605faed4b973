"""The Scrapy project: discovery of annual reports on county and township portals."""
