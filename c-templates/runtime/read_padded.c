#include <stdint.h>

/* Input value at (iy, ix, channel) of an HWC tensor, or pad_value outside the image. */
static int8_t sn_read_padded(const int8_t *x, int32_t height, int32_t width, int32_t channels,
                             int32_t iy, int32_t ix, int32_t channel, int8_t pad_value)
{
    if (iy < 0 || iy >= height || ix < 0 || ix >= width) {
        return pad_value;
    }
    return x[(iy * width + ix) * channels + channel];
}
