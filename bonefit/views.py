from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def health(request):
    """For load balancers and monitoring; also the floor the benchmarks compare pages with."""
    return HttpResponse("ok", content_type="text/plain")
