"""The raw inputs before and around the build: files made readable for DuckDB (gzip integrity,
encodings, Excel workbooks), and the input profile that `make profile` prints."""
