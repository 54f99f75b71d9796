"""Credit and licence lines that must travel with anything built from the walker's assets."""

#: CMU asks every use of its motion capture to carry this credit.
CMU_CREDIT = (
    "The data used in this project was obtained from mocap.cs.cmu.edu. "
    "The database was created with funding from NSF EIA-0196217. "
    "BVH conversion: Bruce Hahne (cgspeed), \"Motionbuilder-friendly\" release."
)

#: The body model's terms.
ANNY_CREDIT = "Body shapes: anny (NAVER LABS Europe), code Apache-2.0, body data CC0 (based on MakeHuman)."
