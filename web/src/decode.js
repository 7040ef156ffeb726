// Rasters embedded in the scene data files: {width, height, encoding: "zlib", data: base64}.
// DecompressionStream('deflate') reads the zlib format that Python's zlib.compress writes.

function base64Bytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export async function decodeRaster(raster) {
  if (!raster) return null;
  let bytes = base64Bytes(raster.data);
  if (raster.encoding === 'zlib') {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  if (bytes.length !== raster.width * raster.height) {
    throw new Error(`embedded raster holds ${bytes.length} values, expected ${raster.width}x${raster.height}`);
  }
  return {width: raster.width, height: raster.height, values: bytes};
}
