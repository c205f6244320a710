#include <stdio.h>

int main(void)
{
	fputs("cozypkgd: not built yet\n", stderr);
	return 1;
}
