#include <libaio.h>
#include <sys/eventfd.h>
