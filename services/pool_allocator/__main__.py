from libs.serve import serve

from .app import SERVICE, build

serve(SERVICE, build)
