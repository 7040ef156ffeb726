"""Reading and writing images and rasters."""
